// Who is signed in. The server's GET /api/v1/me answers {organization, role}; while a
// server lacks that route (404 no such route), the identity is inferred from what the
// token may do: only the admin may issue tokens, and only the organization itself (or the
// admin) may read /organizations/{id}/value.
import {
  ApiError,
  get,
  post,
  enc,
  type Me,
  type Relationship,
  type Resource,
  type Service,
} from './api';

export async function whoAmI(): Promise<Me> {
  try {
    return await get<Me>('/me');
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) throw e;
  }
  return inferIdentity();
}

async function inferIdentity(): Promise<Me> {
  // An id that cannot exist: the admin gets 422 unknown_reference, anyone else 403.
  try {
    await post('/tokens', { organization: 'whoami-probe.does-not-exist', role: 'viewer' });
  } catch (e) {
    if (e instanceof ApiError && e.status === 422) return { organization: null, role: 'admin' };
    if (!(e instanceof ApiError) || e.status !== 403) throw e;
  }
  const counts = new Map<string, number>();
  const bump = (id: string | undefined) => id && counts.set(id, (counts.get(id) ?? 0) + 1);
  const [rels, res, svcs] = await Promise.all([
    get<{ items: Relationship[] }>('/relationships?limit=200'),
    get<{ items: Resource[] }>('/resources?limit=200'),
    get<{ items: Service[] }>('/services?limit=200'),
  ]);
  for (const r of rels.items) {
    bump(r.provider);
    bump(r.consumer);
  }
  for (const r of res.items) bump(r.owner);
  for (const s of svcs.items) bump(s.provider);
  const candidates = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => id);
  for (const id of candidates.slice(0, 12)) {
    try {
      await get(`/organizations/${enc(id)}/value`);
      return { organization: id, role: 'unknown' };
    } catch (e) {
      if (!(e instanceof ApiError) || (e.status !== 403 && e.status !== 404)) throw e;
    }
  }
  // Identity unknown: an organization with nothing visible yet.
  return { organization: null, role: 'unknown' };
}
