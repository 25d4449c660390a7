import { createHarness, type Harness } from './api-harness.ts';
import { FanoutTracker } from '../fanout/tracker.ts';
import { ManifestStore } from '../images/manifest.ts';

/** The real API with rack fan-out on (tracker and manifests of `chunkBytes`), for agent tests that cannot import core services. */
export function createFanoutHarness(chunkBytes: number, enabled: () => boolean = () => true): Promise<Harness> {
  return createHarness({ fanout: { tracker: new FanoutTracker(), manifests: new ManifestStore(chunkBytes), enabled } });
}
