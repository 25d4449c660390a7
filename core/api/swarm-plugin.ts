import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { JoinToken, JoinTokenRequest } from '../contract/swarm.ts';

export interface SwarmDeps {
  /** A fresh single-use join token for this swarm (the same as `dragonfly swarm join-token` on a member). */
  makeJoinToken(seconds?: number): Promise<JoinToken>;
}

/** Swarm membership for operators: a join token without a shell on a member's host. */
export async function swarmPlugin(app: FastifyInstance, deps: SwarmDeps): Promise<void> {
  app.post<{ Body: JoinTokenRequest | undefined }>(
    '/api/v1/swarm/join-tokens',
    {
      schema: {
        tags: ['System'],
        summary: 'Make a join token: admits one more instance into this swarm, once, until it expires',
        body: Type.Optional(JoinTokenRequest),
        response: { 201: JoinToken },
      },
    },
    async (req, reply) => {
      const t = await deps.makeJoinToken(req.body?.expiresSeconds);
      reply.status(201);
      return t;
    },
  );
}
