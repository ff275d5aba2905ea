// The broker side of the ACL file: reads a principal's ALLOW bindings, creates and deletes
// bindings (kafkajs DescribeAcls / CreateAcls / DeleteAcls). Every binding is host '*', ALLOW.
import kafkajs, { type AclEntry, type Admin } from 'kafkajs';
import { RESOURCES, type Binding, type Operation, type ResourceName } from './acl-file.ts';

// kafkajs' CommonJS exports of these enums are not visible to ESM named imports
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

const OP_CODES: Record<Operation, number> = {
  Read: AclOperationTypes.READ, Write: AclOperationTypes.WRITE, Create: AclOperationTypes.CREATE, Delete: AclOperationTypes.DELETE,
  Alter: AclOperationTypes.ALTER, Describe: AclOperationTypes.DESCRIBE, DescribeConfigs: AclOperationTypes.DESCRIBE_CONFIGS,
  AlterConfigs: AclOperationTypes.ALTER_CONFIGS, IdempotentWrite: AclOperationTypes.IDEMPOTENT_WRITE,
};
const RESOURCE_CODES = Object.fromEntries(Object.entries(RESOURCES).map(([k, v]) => [k, AclResourceTypes[v]])) as Record<ResourceName, number>;
const invert = <K extends string, V extends number>(m: Record<K, V>): Map<number, K> => new Map(Object.entries(m).map(([k, v]) => [v as number, k as K]));
const OP_NAMES = invert(OP_CODES);
const RESOURCE_NAMES = invert(RESOURCE_CODES);

const toEntry = (b: Binding): AclEntry => ({
  principal: `User:${b.principal}`, host: '*', permissionType: AclPermissionTypes.ALLOW, operation: OP_CODES[b.operation],
  resourceType: RESOURCE_CODES[b.resource], resourceName: b.name,
  resourcePatternType: b.pattern === 'prefixed' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
});

/** The principal's bindings on the broker. A DENY or an operation this file cannot express is
 *  reported as an error, never silently kept or dropped. */
export async function brokerBindings(admin: Admin, principal: string): Promise<Binding[]> {
  const res = await admin.describeAcls({
    resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, principal: `User:${principal}`,
    operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY,
  });
  const out: Binding[] = [];
  for (const r of res.resources) {
    for (const a of r.acls) {
      const resource = RESOURCE_NAMES.get(r.resourceType);
      const operation = OP_NAMES.get(a.operation);
      const pattern = r.resourcePatternType === ResourcePatternTypes.PREFIXED ? 'prefixed' : 'literal';
      if (!resource || !operation || a.permissionType !== AclPermissionTypes.ALLOW || a.host !== '*') {
        throw new Error(`User:${principal} has a binding this tool does not manage (resource type ${r.resourceType} ${r.resourceName}, operation ${a.operation}, permission ${a.permissionType}, host ${a.host}); remove it with Kafka's kafka-acls tool first`);
      }
      out.push({ principal, resource, name: r.resourceName, pattern, operation, key: `${principal}|${resource}|${pattern}|${r.resourceName}|${operation}` });
    }
  }
  return out;
}

/** Every principal with a binding on the broker (names without "User:"). */
export async function principalsWithBindings(admin: Admin): Promise<string[]> {
  const res = await admin.describeAcls({
    resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY,
  });
  return [...new Set(res.resources.flatMap((r) => r.acls.map((a) => a.principal.replace(/^User:/, ''))))].sort();
}

export async function createBindings(admin: Admin, bindings: Binding[]): Promise<void> {
  if (bindings.length > 0) await admin.createAcls({ acl: bindings.map(toEntry) });
}

export async function deleteBindings(admin: Admin, bindings: Binding[]): Promise<void> {
  if (bindings.length === 0) return;
  const res = await admin.deleteAcls({ filters: bindings.map(toEntry) });
  const failed = res.filterResponses.filter((f) => f.errorCode !== 0);
  if (failed.length > 0) throw new Error(`DeleteAcls failed: ${failed.map((f) => `${f.errorCode} ${f.errorMessage ?? ''}`).join('; ')}`);
}
