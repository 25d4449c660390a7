/**
 * The lifecycle states in the order a machine moves through them. Mirrors core/model/lifecycle.ts
 * (the renderer may import only types from core, so the list is restated and typed against it).
 */
import type { LifecycleState } from '../../../../core/model/lifecycle.ts';

export const lifecycleStatesForUi: readonly LifecycleState[] = ['Discovered', 'Registered', 'Assigned', 'Provisioning', 'Ready', 'Error'];
