/**
 * Gives a tenant one of everything the API can create, through the API, so cross-tenant
 * sweeps have real objects to aim at. Each domain adds its objects here as it lands.
 */
import type { TestServer, TestClient } from '@parapet/server/testing';

export async function seedTenant(_s: TestServer, who: { client: TestClient; tenantId: string; userId: string }): Promise<void> {
  // Sessions and users exist already (loginAs); an audit entry exists after any logged action.
  void who;
}
