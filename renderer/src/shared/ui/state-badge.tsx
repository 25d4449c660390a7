const stateHelp: Record<string, string> = {
  Discovered: 'Seen on the network; the agent has not reported yet',
  Registered: 'Inventoried by the agent; ready to be assigned a template',
  Assigned: 'A template is assigned; waiting for the machine to boot into the agent',
  Provisioning: 'The agent is running the workflow',
  Ready: 'Provisioned; reimaging needs explicit confirmation',
  Error: 'The workflow failed; see the machine for the action and reason',
};

export function StateBadge({ state }: { state: string }) {
  return (
    <span className={`badge badge-${state.toLowerCase()}`} title={stateHelp[state] ?? state}>
      <span className="badge-dot" aria-hidden="true" />
      {state}
    </span>
  );
}
