/**
 * The defaults of the burn-in actions' fields (issue 17.3), for their schemas in template.ts and
 * for the agent, which applies them. A file of its own, without TypeBox: the agent bundle imports
 * it and must not carry a schema library.
 */
export const burninDefaults = {
  /** memtest: share of available memory tested. */
  share: 0.5,
  /** memtest: times each pattern is written and verified. */
  passes: 1,
  /** disktest: MiB written and read back. */
  sizeMiB: 1024,
  /** disktest: seconds for the write phase. */
  maxSeconds: 120,
  /** cpustress: seconds of load. */
  seconds: 60,
} as const;
