/**
 * Most chunks one tracker ask announces (docs/FANOUT.md): the contract's schema refuses more, and
 * the agent keeps the rest for its next ask. An ask then stays well under the WebSocket server's
 * 64 KiB frame limit (core/api/websockets.ts): 5,120 numbers of at most 7 characters. Here, not in
 * core/contract, because the agent needs the value and its bundle carries no schema library.
 */
export const MAX_HAVE_PER_ASK = 4096;
