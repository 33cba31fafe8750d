import {
  getNamedType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
} from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../../src/schema/index.js";

/*
 * The conventions of the schema (src/schema/pagination.ts and global-id.ts state them), checked on every type so a new
 * field cannot drift from them: connection names and arguments, the id policy, serial numbers and statuses.
 */

const types = Object.values(schema.getTypeMap()).filter((type) => !type.name.startsWith("__"));
const outputFields = types.flatMap((type) =>
  isObjectType(type) || isInterfaceType(type)
    ? Object.values(type.getFields() as Record<string, GraphQLField<unknown, unknown>>).map((field) => ({
        owner: type,
        field,
      }))
    : [],
);
const inputFields = types.flatMap((type) =>
  isInputObjectType(type)
    ? Object.values(type.getFields() as Record<string, GraphQLInputField>).map((field) => ({
        owner: type,
        field,
      }))
    : [],
);
const args = outputFields.flatMap(({ owner, field }) =>
  field.args.map((arg: GraphQLArgument) => ({ at: `${owner.name}.${field.name}(${arg.name})`, arg })),
);
const nodeTypes = new Set(
  types
    .filter((type) => isObjectType(type) && type.getInterfaces().some((i) => i.name === "Node"))
    .map((t) => t.name),
);
const typeName = (type: { toString(): string }) => type.toString();

describe("schema conventions", () => {
  it("name every connection <Type>Connection, with <Type>Edge edges whose node is <Type>", () => {
    const connections = types.filter((type) => type.name.endsWith("Connection"));
    expect(connections.map((type) => type.name).sort()).toEqual([
      "BatchJobConnection",
      "CertificateConnection",
      "DeviceCertificateConnection",
      "DeviceConnection",
      "EnrollmentProfileConnection",
      "ProfileConnection",
    ]);
    for (const connection of connections) {
      const base = connection.name.replace(/Connection$/, "");
      if (!isObjectType(connection)) throw new Error(`${connection.name} is not an object type`);
      const edge = getNamedType(connection.getFields().edges!.type) as GraphQLNamedType;
      expect(edge.name, connection.name).toBe(`${base}Edge`);
      if (!isObjectType(edge)) throw new Error(`${edge.name} is not an object type`);
      expect(typeName(edge.getFields().node!.type), edge.name).toBe(`${base}!`);
    }
  });

  it("offer forward pagination only (first, after) on every field that returns a connection", () => {
    const paged = outputFields.filter(({ field }) => getNamedType(field.type).name.endsWith("Connection"));
    expect(paged.length).toBeGreaterThan(0);
    for (const { owner, field } of paged) {
      const names = field.args.map((arg) => arg.name);
      expect(names, `${owner.name}.${field.name}`).toEqual(expect.arrayContaining(["first", "after"]));
      expect(names, `${owner.name}.${field.name}`).not.toContain("last");
      expect(names, `${owner.name}.${field.name}`).not.toContain("before");
    }
  });

  it("count with totalCount: Int! on certificate-search, Int on the IoT and DTM lists, none on TLM profiles", () => {
    const totalCount = (name: string) => {
      const type = schema.getType(name);
      if (!isObjectType(type)) throw new Error(`${name} is not an object type`);
      const field = type.getFields().totalCount;
      return field ? typeName(field.type) : null;
    };
    expect({
      CertificateConnection: totalCount("CertificateConnection"),
      DeviceCertificateConnection: totalCount("DeviceCertificateConnection"),
      DeviceConnection: totalCount("DeviceConnection"),
      BatchJobConnection: totalCount("BatchJobConnection"),
      EnrollmentProfileConnection: totalCount("EnrollmentProfileConnection"),
      ProfileConnection: totalCount("ProfileConnection"),
    }).toEqual({
      CertificateConnection: "Int!",
      DeviceCertificateConnection: "Int",
      DeviceConnection: "Int",
      BatchJobConnection: "Int",
      EnrollmentProfileConnection: "Int",
      ProfileConnection: null,
    });
  });

  it("keep `id: ID!` for the global ids of Node types only", () => {
    const ids = outputFields.filter(({ field }) => field.name === "id");
    const global = ids.filter(({ field }) => typeName(field.type) === "ID!").map(({ owner }) => owner.name);
    expect(global.filter((name) => !nodeTypes.has(name) && !["Node", "BatchJob"].includes(name))).toEqual([]);
    for (const name of nodeTypes) expect(global, name).toContain(name);
    // Ids that are not objects' keep DigiCert's own term, and say so: attribute ids and an error's upstream id.
    expect(
      ids
        .filter(({ field }) => typeName(field.type) !== "ID!")
        .map(({ owner }) => owner.name)
        .sort(),
    ).toEqual(["DeviceAttribute", "EnrollmentField", "UpstreamOutcomeUnknownError"]);
  });

  it("type every argument and input field that names an object as ID (its global id or DigiCert's id)", () => {
    // `<type>Id` for a Node type (profileId, enrollmentProfileId, deviceGroupId, ...), and every `id` argument.
    const objectIds = new Set([...nodeTypes].map((name) => `${name[0]!.toLowerCase()}${name.slice(1)}Id`));
    const named = [
      ...args.map(({ at, arg }) => ({ at, name: arg.name, type: typeName(arg.type) })),
      ...inputFields.map(({ owner, field }) => ({
        at: `${owner.name}.${field.name}`,
        name: field.name,
        type: typeName(field.type),
      })),
    ].filter(({ at, name }) => objectIds.has(name) || (name === "id" && at !== "IotAttributeInput.id"));
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter(({ type }) => type.replace(/!$/, "") !== "ID")).toEqual([]);
  });

  it("type serial numbers as SerialNumber, except errors' echo of what was asked for", () => {
    const serials = [
      ...outputFields.map(({ owner, field }) => ({ owner, name: field.name, type: typeName(field.type) })),
      ...inputFields.map(({ owner, field }) => ({ owner, name: field.name, type: typeName(field.type) })),
    ].filter(({ name }) => /serialNumber$/i.test(name));
    const loose = serials.filter(({ type }) => type.replace(/!$/, "") !== "SerialNumber");
    expect(loose.map(({ owner, name }) => `${owner.name}.${name}`).sort()).toEqual([
      "AlreadyRevokedError.serialNumber",
      "CertificateNotFoundError.serialNumber",
      "RenewalNotAllowedError.serialNumber",
      // The subject's serialNumber attribute (2.5.4.5), not a certificate's.
      "SubjectInput.serialNumber",
    ]);
  });

  it("type every status as an enum with an UNKNOWN value where DigiCert reports it", () => {
    const statuses = outputFields.filter(({ field }) => field.name === "status");
    expect(statuses.length).toBeGreaterThan(5);
    for (const { owner, field } of statuses) {
      const type = getNamedType(field.type);
      expect(isEnumType(type), `${owner.name}.status is ${type.name}`).toBe(true);
      expect(isNonNullType(field.type), `${owner.name}.status`).toBe(true);
      if (isEnumType(type)) {
        expect(type.getValue("UNKNOWN"), `${type.name} lacks UNKNOWN`).toBeDefined();
      }
    }
  });
});
