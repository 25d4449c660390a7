/** The outcome line under a form: a status when it worked, an alert (read out at once) when not. */
export function FormMessage({ message }: { message: { ok: boolean; text: string } | null }) {
  if (!message) return null;
  return (
    <p className={message.ok ? 'text-ok' : 'text-error'} role={message.ok ? 'status' : 'alert'}>
      {message.text}
    </p>
  );
}
