import { describe, expect, it } from "vitest";
import type { GatewayContext } from "../../src/context.js";
import type { DtmCertificatePolicyId } from "../../src/model/dtm/ids.js";
import { csvTemplate } from "../../src/resolvers/dtm.js";

/** A context whose DTM client answers the template with `text`. */
function contextAnswering(text: string): GatewayContext {
  return { services: { dtm: { getCsvTemplate: async () => text } } } as unknown as GatewayContext;
}

const POLICY = "IOT_4ee527fa-bebc-4557-aacb-9b5eed984dd4" as DtmCertificatePolicyId;

describe("the CSV template the gateway hands out", () => {
  it("neutralises a cell a spreadsheet would run as a formula, and leaves the others as DigiCert sent them", async () => {
    const template = await csvTemplate(
      contextAnswering('"device_name","=HYPERLINK(""x"")",csr\n'),
      POLICY,
      null,
    );
    expect(template).toBe(`"device_name","'=HYPERLINK(""x"")",csr\n`);
  });

  it("passes a template with no formula cell through unchanged", async () => {
    const text = '"device_name","subject.common_name","csr"\n';
    expect(await csvTemplate(contextAnswering(text), POLICY, null)).toBe(text);
  });
});
