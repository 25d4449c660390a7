import { useCallback, useEffect, useState } from 'react';
import { useAppStore } from '../../../app/store.ts';
import { describeError } from '../../../shared/api-client.ts';
import { getHostInterfaces, getReadiness } from '../first-run-api.ts';

/** How often the screen asks again while the agent image builds (the build takes minutes; the event stream does not carry it). */
const BUILDING_POLL_MS = 5000;

/** Loads readiness and the host's interfaces when the screen opens; polls only while the agent image is building. */
export function useReadiness(): { error: string | null; reload: () => Promise<void> } {
  const setReadiness = useAppStore((s) => s.setReadiness);
  const setHostInterfaces = useAppStore((s) => s.setHostInterfaces);
  const building = useAppStore((s) => s.readiness?.agentImage.state === 'building');
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(
    (live: () => boolean = () => true) =>
      Promise.all([getReadiness(), getHostInterfaces()]).then(
        ([r, list]) => {
          if (!live()) return;
          setReadiness(r);
          setHostInterfaces(Array.isArray(list) ? list : []);
          setError(null);
        },
        (e) => {
          if (live()) setError(describeError(e));
        },
      ),
    [setReadiness, setHostInterfaces],
  );
  useEffect(() => {
    let live = true;
    void reload(() => live);
    return () => {
      live = false;
    };
  }, [reload]);
  useEffect(() => {
    if (!building) return;
    const t = setInterval(() => void getReadiness().then(setReadiness, () => {}), BUILDING_POLL_MS);
    return () => clearInterval(t);
  }, [building, setReadiness]);
  return { error, reload };
}
