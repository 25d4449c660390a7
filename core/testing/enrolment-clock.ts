import { EnrolmentGate, type EnrolmentOptions } from '../boot/enrolment.ts';
import { BootTimeline } from '../boot/timeline.ts';

/**
 * A boot timeline whose enrolment gate runs on the test's clock (createHarness({ timeline })), so
 * a test drives the enrolment windows (the 2-minute retry of a registration, the token's 30
 * minutes) instead of waiting for them. Boot steps are not recorded.
 */
export function timelineOnClock(now: () => number, options: Omit<EnrolmentOptions, 'now'> = {}): BootTimeline {
  return new BootTimeline({ recordBootStep: async () => {} }, new EnrolmentGate({ ...options, now }));
}
