/**
 * Slice creators see only their own slice, so a feature cannot reach into another's state
 * by accident; the app store (app/store.ts) composes them.
 */
export type SliceSet<S> = (update: Partial<S> | ((state: S) => Partial<S>)) => void;
export type SliceGet<S> = () => S;
export type SliceCreator<S> = (set: SliceSet<S>, get: SliceGet<S>) => S;
