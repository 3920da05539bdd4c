/**
 * The Pulse agent soak (PULSE-AGENT benchmark, issue 15): 10 minutes (SOAK_SECONDS) of the
 * agent processes of bench/agent under Xvfb, focus switched every 2 s, uploads every 30 s,
 * tray and lock source on private D-Bus daemons, printing CPU % and RSS per minute so growth
 * (a leak) or a busy loop shows as a trend, against plain-node references in the same run.
 * Not run in CI (it takes the machine for 10 minutes).
 */
import { benchAgentProcesses } from '../agent/processes.js';

const seconds = Number(process.env.SOAK_SECONDS ?? 600);
await benchAgentProcesses(seconds, 60);
