import { useEffect } from 'react';
import { appStore } from '../../../app/store.ts';
import { configureApi, describeError } from '../../../shared/api-client.ts';
import { restoreSession } from '../auth-api.ts';

/** On start: find an existing session; on any later 401, go back to the form saying why. */
export function useSessionBootstrap(): void {
  useEffect(() => {
    const s = appStore.getState();
    configureApi({
      onUnauthorized: () => {
        if (appStore.getState().authPhase === 'signed-in') appStore.getState().signedOut('Your session ended. Please sign in again.');
      },
    });
    restoreSession()
      .then((session) => (session ? s.signedIn(session) : s.signedOut()))
      .catch((e) => s.signedOut(`Could not restore the session: ${describeError(e)}`));
  }, []);
}
