// The IP blocks in force: kept in memory, because the ip-block guard asks on every request, and in the
// store (IpBlockStore), so they survive a restart and every block and unblock is on record with its
// evidence. Automatic blocks come from the abuse scorer (scorer.ts), manual ones from the admin API.
// Every block and unblock, including a block running out, is published as ip.blocked / ip.unblocked.
//
// An allowlisted address (ipBlock.allowlist) is never blocked: the scorer does not score it, a manual
// block is refused, and a stored block of an address allowlisted since is lifted at start.
//
// Blocks are not capped in number: each automatic one costs an attacker a threshold's worth of refused
// requests from that address, and evicting blocks would let an attacker unblock itself by getting many
// other addresses blocked. They last at most ipBlock.maxBlockTtlMs (or until removed, for manual blocks
// without TTL). The embedded store serves one gateway process; a block made through another process's
// store is seen here after a restart.

import { publishSecurityEvent, type EventBus } from '../bus/bus.ts';
import type { IpBlockConfig } from '../config.ts';
import { BulwarkError } from '../errors.ts';
import { createAddressSet } from '../net/address-set.ts';
import type { BlockEvidence, BlockHistoryEntry, IpBlock, IpBlockStore, UnblockKind } from '../store/store.ts';
import type { Logger } from '../telemetry/logger.ts';

/** The actor recorded for automatic blocks and for lifts the platform makes itself. */
export const SCORER_ACTOR = 'abuse-scorer';

export interface ManualBlock {
  reason: string;
  /** null: until removed. */
  ttlMs: number | null;
  /** Who asked (the admin's actor id) and in which request. */
  actor: string;
  requestId?: string;
}

export interface Blocklist {
  /** The block in force for `address` (a canonical IP), if any. Synchronous: runs on every request. */
  blocked(address: string): IpBlock | undefined;
  isAllowlisted(address: string): boolean;
  /** Blocks `address` for its offence's TTL. Does nothing for an allowlisted or already blocked address. */
  blockAutomatically(address: string, why: { score: number; evidence: BlockEvidence[] }): Promise<IpBlock | undefined>;
  /** Blocks (or re-blocks with a new reason and TTL) by hand. Throws BWK_E_REGISTRY_BLOCK_REFUSED when allowlisted. */
  blockManually(address: string, block: ManualBlock): Promise<IpBlock>;
  /** Lifts a block by hand. Throws BWK_E_REGISTRY_BLOCK_NOT_FOUND when none is in force. */
  unblock(address: string, lift: { reason: string; actor: string; requestId?: string }): Promise<IpBlock>;
  /** Blocks in force, oldest first. */
  list(): IpBlock[];
  history(q: { address?: string; limit: number }): Promise<BlockHistoryEntry[]>;
  /** Stops the expiry sweep. */
  close(): void;
}

export interface BlocklistDeps {
  store: IpBlockStore;
  bus: EventBus;
  logger: Logger;
  config: IpBlockConfig;
  /** Clock in ms since the epoch (tests of expiry pass their own). */
  now?: () => number;
}

/** How often expired blocks are lifted and recorded; a block stops refusing at its expiry regardless. */
const SWEEP_INTERVAL_MS = 500;

export async function createBlocklist(deps: BlocklistDeps): Promise<Blocklist> {
  const { store, bus, logger, config } = deps;
  const now = deps.now ?? Date.now;
  const allowlist = createAddressSet(config.allowlist);
  const inForce = new Map<string, { block: IpBlock; until: number }>();

  const untilOf = (b: IpBlock): number => (b.expiresAt === null ? Infinity : Date.parse(b.expiresAt));

  async function published(block: IpBlock, extra: { score?: number; requestId?: string }): Promise<void> {
    const ttlMs = block.expiresAt === null ? null : Date.parse(block.expiresAt) - Date.parse(block.createdAt);
    await publishSecurityEvent(bus, logger, {
      type: 'ip.blocked',
      sourceIp: block.address,
      actor: block.actor,
      ...(extra.requestId ? { requestId: extra.requestId } : {}),
      detail: {
        address: block.address, kind: block.kind, reason: block.reason, ttlMs, expiresAt: block.expiresAt,
        offence: block.offence, ...(extra.score !== undefined ? { score: extra.score } : {}), evidence: block.evidence,
      },
    });
  }

  async function lift(address: string, kind: UnblockKind, reason: string, actor: string, requestId?: string): Promise<IpBlock | undefined> {
    inForce.delete(address);
    const lifted = await store.unblock(address, { at: new Date(now()).toISOString(), actor, reason, kind });
    if (!lifted) return undefined;
    await publishSecurityEvent(bus, logger, {
      type: 'ip.unblocked',
      sourceIp: address,
      actor,
      ...(requestId ? { requestId } : {}),
      detail: { address, kind, reason, blockedAt: lifted.createdAt, blockKind: lifted.kind },
    });
    return lifted;
  }

  // Start: blocks survive restarts, except those that ran out meanwhile or whose address is allowlisted now.
  for (const block of await store.list()) {
    if (allowlist.has(block.address)) await lift(block.address, 'allowlisted', 'the address is on ipBlock.allowlist', SCORER_ACTOR);
    else if (untilOf(block) <= now()) await lift(block.address, 'expired', 'the block ran out', SCORER_ACTOR);
    else inForce.set(block.address, { block, until: untilOf(block) });
  }

  let sweeping = false;
  const sweep = async (): Promise<void> => {
    if (sweeping) return;
    sweeping = true;
    try {
      const t = now();
      for (const [address, { until }] of [...inForce]) {
        if (until <= t) await lift(address, 'expired', 'the block ran out', SCORER_ACTOR);
      }
    } catch (err) {
      logger.error({ err }, 'could not lift expired ip blocks');
    } finally {
      sweeping = false;
    }
  };
  const timer = setInterval(() => void sweep(), SWEEP_INTERVAL_MS);
  timer.unref();

  function blocked(address: string): IpBlock | undefined {
    const entry = inForce.get(address);
    return entry && entry.until > now() ? entry.block : undefined;
  }

  return {
    blocked,
    isAllowlisted: (address) => allowlist.has(address),

    async blockAutomatically(address, why) {
      if (allowlist.has(address) || blocked(address)) return undefined;
      const t = now();
      const previous = await store.countAutomatic(address, new Date(t - config.repeatWindowMs).toISOString());
      const offence = previous + 1;
      const ttlMs = Math.min(config.blockTtlMs * 2 ** (offence - 1), config.maxBlockTtlMs);
      const block: IpBlock = {
        address,
        kind: 'automatic',
        reason: `abuse score ${Math.round(why.score * 100) / 100} reached the threshold ${config.threshold}`,
        actor: SCORER_ACTOR,
        createdAt: new Date(t).toISOString(),
        expiresAt: new Date(t + ttlMs).toISOString(),
        offence,
        evidence: why.evidence,
      };
      // In force before it is stored: if the store fails, the attack is still stopped for this run.
      inForce.set(address, { block, until: t + ttlMs });
      try {
        await store.block(block);
      } catch (err) {
        logger.error({ err, address }, 'automatic ip block is in force but could not be stored');
      }
      await published(block, { score: why.score });
      return block;
    },

    async blockManually(address, m) {
      if (allowlist.has(address)) throw new BulwarkError('BWK_E_REGISTRY_BLOCK_REFUSED', [address, 'it is on ipBlock.allowlist']);
      const t = now();
      const block: IpBlock = {
        address,
        kind: 'manual',
        reason: m.reason,
        actor: m.actor,
        createdAt: new Date(t).toISOString(),
        expiresAt: m.ttlMs === null ? null : new Date(t + m.ttlMs).toISOString(),
        offence: 0,
        evidence: [],
      };
      // Stored first: an admin told "blocked" can rely on it surviving a restart.
      await store.block(block);
      inForce.set(address, { block, until: untilOf(block) });
      await published(block, { requestId: m.requestId });
      return block;
    },

    async unblock(address, l) {
      if (!blocked(address)) throw new BulwarkError('BWK_E_REGISTRY_BLOCK_NOT_FOUND', [address]);
      const lifted = await lift(address, 'manual', l.reason, l.actor, l.requestId);
      if (!lifted) throw new BulwarkError('BWK_E_REGISTRY_BLOCK_NOT_FOUND', [address]);
      return lifted;
    },

    list() {
      const t = now();
      return [...inForce.values()].filter((e) => e.until > t).map((e) => e.block)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.address.localeCompare(b.address));
    },

    history: (q) => store.history(q),

    close() {
      clearInterval(timer);
    },
  };
}
