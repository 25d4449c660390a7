/** Swarm membership as the API and the CLI name it (POST /api/v1/swarm/join-tokens). */
import Type, { type Static } from 'typebox';

export const JoinTokenRequest = Type.Object(
  { expiresSeconds: Type.Optional(Type.Integer({ minimum: 1, description: 'seconds the token stays good (default 3600; at most a day, which the swarm checks)' })) },
  { additionalProperties: false },
);
export type JoinTokenRequest = Static<typeof JoinTokenRequest>;

export const JoinToken = Type.Object({
  token: Type.String({ description: 'dfj1.<id>.<secret>: admits one instance (`dragonfly serve --join TOKEN`)' }),
  expiresAt: Type.String({ description: 'ISO time after which it admits nobody' }),
});
export type JoinToken = Static<typeof JoinToken>;
