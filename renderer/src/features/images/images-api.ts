import type { ImageListItem, ImageUploadResult } from '../../../../core/contract/images.ts';
import { api, apiToken, ApiError, errorFromBody } from '../../shared/api-client.ts';

export async function listImages(): Promise<ImageListItem[]> {
  return (await api<{ items: ImageListItem[] }>('GET', '/api/v1/images')).items;
}

/** Bytes handed to the connection so far, of the file's size. */
export type UploadProgress = (sent: number, total: number) => void;

/**
 * Sends the file itself as the body of POST /api/v1/images/upload. XMLHttpRequest, not fetch:
 * only it reports upload progress (fetch streams bodies without telling how far they got).
 * The browser sets Content-Length from the File and Origin for the server's cross-site check.
 */
export function uploadImage(file: File, onProgress: UploadProgress): Promise<ImageUploadResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1/images/upload?file=${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.setRequestHeader('accept', 'application/json');
    const token = apiToken();
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new ApiError(0, 'DF_ERR_UNAVAILABLE', 'The upload was cut off: the control plane could not be reached or closed the connection.'));
    xhr.onload = () => {
      const json = parseJson(xhr.responseText);
      if (xhr.status === 201) resolve(json as ImageUploadResult);
      else reject(errorFromBody(xhr.status, json, xhr.responseText));
    };
    xhr.send(file);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
