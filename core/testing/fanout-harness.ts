import { createHarness, type Harness } from './api-harness.ts';
import { FanoutTracker } from '../fanout/tracker.ts';
import { ManifestStore } from '../images/manifest.ts';

/** The real API with rack fan-out on (tracker and manifests of `chunkBytes`), for agent tests that cannot import core services; its tracker for its stats. */
export async function createFanoutHarness(chunkBytes: number, enabled: () => boolean = () => true): Promise<Harness & { tracker: FanoutTracker }> {
  const tracker = new FanoutTracker();
  return { ...(await createHarness({ fanout: { tracker, manifests: new ManifestStore(chunkBytes), enabled } })), tracker };
}
