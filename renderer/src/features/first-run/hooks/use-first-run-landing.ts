import { useEffect } from 'react';
import { useAppStore } from '../../../app/store.ts';
import { getMachineCount, getReadiness } from '../first-run-api.ts';

/**
 * Right after sign-in on a first run (no provisioning interface set up and no machine known
 * yet), open the first-run screen: nothing can boot before that. A control plane
 * that already knows machines is past its first run, whatever its interface (machines may be
 * sent here by another DHCP server). Asked once per sign-in; a control plane that does not
 * report readiness leaves the app where it is.
 */
export function useFirstRunLanding(): void {
  const setReadiness = useAppStore((s) => s.setReadiness);
  const setView = useAppStore((s) => s.setView);
  useEffect(() => {
    let live = true;
    Promise.all([getReadiness(), getMachineCount()])
      .then(([r, machines]) => {
        if (!live) return;
        setReadiness(r);
        if (!r.interface.ok && machines === 0) setView('setup');
      })
      .catch(() => {});
    return () => {
      live = false;
    };
    // Both setters are stable: this runs once per mount of the signed-in app.
  }, [setReadiness, setView]);
}
