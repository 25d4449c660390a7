import type { FastifyInstance } from 'fastify';
import type { HardwareIndex } from '../inventory/hardware-index.ts';
import { importDeclaredMachines, type DeclaredCredentials } from '../inventory/declared-import.ts';
import { invalid } from '../shared/errors.ts';
import type { Store } from '../store/store.ts';

/** Declared machines from the technician's spreadsheet (CSV): all rows or none. */
export async function inventoryPlugin(app: FastifyInstance, deps: { store: Store; index: HardwareIndex; credentials: DeclaredCredentials }): Promise<void> {
  app.post<{ Body: string }>(
    '/api/v1/inventory/import',
    {
      schema: {
        tags: ['Hardware'],
        summary: 'Declare machines from a CSV (text/csv): mac, bmc_address, bmc_protocol, bmc_username, bmc_password or credential_ref, rack, position, labels, name. All or nothing; 400 lists every bad row (details.problems: line, message)',
      },
    },
    async (req, reply) => {
      if (typeof req.body !== 'string') throw invalid('send the inventory as text/csv');
      const created = await importDeclaredMachines(deps, req.body);
      reply.status(201);
      return { created };
    },
  );
}
