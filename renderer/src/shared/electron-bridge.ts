/**
 * What the Electron preload exposes (one named function per operation). In a plain browser
 * `window.dragonfly` is absent and the sign-in form is used instead.
 */
export interface DesktopSession {
  token: string;
  user?: string;
}

export interface DragonflyBridge {
  getSession?: () => Promise<DesktopSession>;
}

export function desktopBridge(): DragonflyBridge | undefined {
  return (window as unknown as { dragonfly?: DragonflyBridge }).dragonfly;
}
