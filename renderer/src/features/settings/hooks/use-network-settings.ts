import { useEffect, useState } from 'react';
import { useAppStore } from '../../../app/store.ts';
import { describeError } from '../../../shared/api-client.ts';
import { getInterfaces, getNetwork } from '../settings-api.ts';

/** Loads settings and interfaces when the settings view opens (they change rarely; no polling). */
export function useNetworkSettings(): { error: string | null; reload: () => void } {
  const setNetwork = useAppStore((s) => s.setNetwork);
  const setInterfaces = useAppStore((s) => s.setInterfaces);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    Promise.all([getNetwork(), getInterfaces()])
      .then(([n, i]) => {
        if (!live) return;
        setNetwork(n);
        setInterfaces(Array.isArray(i) ? i : []);
        setError(null);
      })
      .catch((e) => live && setError(describeError(e)));
    return () => {
      live = false;
    };
  }, [tick, setNetwork, setInterfaces]);
  return { error, reload: () => setTick((t) => t + 1) };
}
