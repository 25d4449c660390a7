/** Power operations as the UI, the CLI and the API name them (POST /api/v1/machines/:name/power, /api/v1/power). */
import Type, { type Static } from 'typebox';

export const PowerAction = Type.Union([
  Type.Literal('on'),
  Type.Literal('off'),
  Type.Literal('cycle'),
  Type.Literal('reset'),
  Type.Literal('softOff'),
  Type.Literal('status'),
]);
export type PowerAction = Static<typeof PowerAction>;
