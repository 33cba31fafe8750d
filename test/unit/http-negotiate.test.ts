import { describe, expect, it } from "vitest";
import { acceptsEncoding, pathOf } from "../../src/http/negotiate.js";

describe("acceptsEncoding", () => {
  it("takes an encoding listed or covered by *, and refuses one whose own q is 0 even when * allows it", () => {
    expect(acceptsEncoding("gzip, deflate", "gzip")).toBe(true);
    expect(acceptsEncoding("br;q=0.5", "br")).toBe(true);
    expect(acceptsEncoding("*", "br")).toBe(true);
    expect(acceptsEncoding("gzip;q=0, *", "gzip")).toBe(false);
    expect(acceptsEncoding("identity", "gzip")).toBe(false);
    expect(acceptsEncoding(undefined, "gzip")).toBe(false);
  });
});

describe("pathOf", () => {
  it("reads the path of a request URL, without its query", () => {
    expect(pathOf("/portal/app.js?v=1")).toBe("/portal/app.js");
    expect(pathOf(undefined)).toBe("/");
  });
});
