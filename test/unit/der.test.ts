import * as asn1js from "asn1js";
import { describe, expect, it } from "vitest";
import {
  checkInteger,
  checkNull,
  DerError,
  DerReader,
  decodeBmp,
  decodeLatin1,
  decodeUtf8,
  onlyChild,
  readBitString,
  readBoolean,
  readOid,
  readSingle,
  readSmallUnsigned,
  readTime,
  TAG,
  type Tlv,
} from "../../src/model/der.js";

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ""), "hex"));

function derError(run: () => unknown): DerError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DerError);
    expect((error as DerError).name).toBe("DerError");
    expect((error as DerError).code).toBe("DER_INVALID");
    return error as DerError;
  }
  throw new Error("expected a DerError, but nothing was thrown");
}

/** The single element of `hex` and the bytes it was read from. */
function single(hex: string): { input: Uint8Array; tlv: Tlv } {
  const input = bytes(hex);
  return { input, tlv: readSingle(input) };
}

// Deterministic pseudo-random bytes (mulberry32), so a failure can be replayed.
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Reads every element of `input` depth first; returns how many were read. Throws what the reader throws. */
function walk(input: Uint8Array, start = 0, end = input.length): number {
  const reader = new DerReader(input, start, end);
  let count = 0;
  while (!reader.done) {
    const tlv = reader.next();
    count++;
    if ((tlv.tag & 0x20) !== 0) count += walk(input, tlv.contentStart, tlv.end);
  }
  return count;
}

describe("DerReader", () => {
  it("reads short and long definite lengths and reports offsets into the input", () => {
    const long = `04 81 80 ${"ab".repeat(128)}`;
    const input = bytes(`30 03 02 01 05 ${long} 04 82 01 00 ${"cd".repeat(256)}`);
    const reader = new DerReader(input);
    expect(reader.next()).toEqual({ tag: 0x30, start: 0, contentStart: 2, end: 5 });
    expect(reader.next()).toEqual({ tag: 0x04, start: 5, contentStart: 8, end: 136 });
    expect(reader.next()).toEqual({ tag: 0x04, start: 136, contentStart: 140, end: 396 });
    expect(reader.done).toBe(true);
    expect(reader.peekTag()).toBeUndefined();
    expect(() => reader.finish()).not.toThrow();
  });

  it("refuses indefinite lengths, non-minimal lengths and lengths of more than four octets", () => {
    expect(derError(() => readSingle(bytes("30 80 02 01 05 00 00"))).message).toBe(
      "indefinite lengths are not DER",
    );
    expect(derError(() => readSingle(bytes("04 81 05 0102030405"))).message).toBe(
      "length is not minimally encoded",
    );
    expect(derError(() => readSingle(bytes(`04 82 00 80 ${"00".repeat(128)}`))).message).toBe(
      "length is not minimally encoded",
    );
    expect(derError(() => readSingle(bytes("04 85 0000000001 00"))).message).toBe("length is too large");
  });

  it("refuses truncated headers, truncated lengths and values that overrun their container", () => {
    expect(derError(() => readSingle(bytes("30"))).message).toBe("element is truncated");
    expect(derError(() => readSingle(bytes("04 82 01"))).message).toBe("length is truncated");
    expect(derError(() => readSingle(bytes("04 05 0102"))).message).toBe("element overruns its container");
    expect(derError(() => readSingle(bytes("04 84 ffffffff 00"))).message).toBe(
      "element overruns its container",
    );
    // A child that fits the input but not its parent.
    const input = bytes("30 03 04 05 01 02 03 04 05");
    const parent = new DerReader(input).next();
    expect(parent.end).toBe(5);
    expect(derError(() => DerReader.within(input, parent).next()).message).toBe(
      "element overruns its container",
    );
  });

  it("refuses high tag numbers, end-of-contents and trailing data", () => {
    expect(derError(() => readSingle(bytes("1f 81 00 00"))).message).toBe(
      "high tag numbers are not supported",
    );
    expect(derError(() => readSingle(bytes("bf 22 00"))).message).toBe("high tag numbers are not supported");
    expect(derError(() => readSingle(bytes("00 00"))).message).toBe("unexpected end-of-contents element");
    expect(derError(() => readSingle(bytes("05 00 05 00"))).message).toBe("unexpected trailing data");
    expect(derError(() => new DerReader(bytes("0500"), 1, 5)).message).toBe(
      "reader bounds are outside the input",
    );
  });

  it("expect and optional check the identifier octet, and optional leaves the cursor when it does not match", () => {
    const reader = new DerReader(bytes("02 01 07 05 00"));
    expect(reader.optional(TAG.BOOLEAN)).toBeUndefined();
    expect(reader.optional(TAG.INTEGER)?.contentStart).toBe(2);
    expect(derError(() => reader.expect(TAG.SEQUENCE)).message).toBe("unexpected element");
    expect(reader.expect(TAG.NULL).end).toBe(5);
    expect(derError(() => reader.expect(TAG.NULL)).message).toBe("unexpected element");
  });

  it("onlyChild unwraps an explicit tag holding exactly one element", () => {
    const { input, tlv } = single("a0 03 02 01 02");
    expect(onlyChild(input, tlv)).toEqual({ tag: 0x02, start: 2, contentStart: 4, end: 5 });
    const two = single("a0 06 02 01 02 02 01 03");
    expect(derError(() => onlyChild(two.input, two.tlv)).message).toBe("unexpected trailing data");
    const primitive = single("80 01 02");
    expect(derError(() => onlyChild(primitive.input, primitive.tlv)).message).toBe(
      "expected a constructed element",
    );
  });

  it("on random input, reads only forward, at most one element per two octets, and throws nothing but DerError", () => {
    const next = random(14);
    for (let round = 0; round < 3000; round++) {
      const length = Math.floor(next() * 64);
      const input = Uint8Array.from({ length }, () => {
        // Mostly plausible headers, so that walks get deep.
        const r = next();
        return r < 0.3 ? 0x30 : r < 0.4 ? Math.floor(next() * 8) : Math.floor(next() * 256);
      });
      try {
        expect(walk(input)).toBeLessThanOrEqual(length / 2);
      } catch (error) {
        if (!(error instanceof DerError)) throw error;
      }
    }
  });
});

describe("DER primitive values", () => {
  it("decodes OIDs as asn1js prints them, across the first-arc boundaries and large arcs", () => {
    const oids = [
      "0.0",
      "0.39",
      "1.0",
      "1.39",
      "2.0",
      "2.5.4.3",
      "2.999.3",
      "1.2.840.113549.1.1.11",
      "1.3.6.1.4.1.311.60.2.1.3",
      "2.25.281474976710655",
      `1.2.${2 ** 48}`,
    ];
    for (const text of oids) {
      const der = new Uint8Array(new asn1js.ObjectIdentifier({ value: text }).toBER());
      const asn = asn1js.fromBER(der).result as asn1js.ObjectIdentifier;
      expect(readOid(der, readSingle(der))).toBe(asn.valueBlock.toString());
      expect(readOid(der, readSingle(der))).toBe(text);
    }
  });

  it("refuses empty OIDs, non-minimal or truncated arcs, arcs over 49 bits and other tags", () => {
    const cases: [string, string][] = [
      ["06 00", "OBJECT IDENTIFIER is empty"],
      ["06 03 2a 80 01", "OBJECT IDENTIFIER arc is not minimally encoded"],
      ["06 02 2a 86", "OBJECT IDENTIFIER arc is truncated"],
      ["06 09 2a 8180808080808000", "OBJECT IDENTIFIER arc is too large"],
      ["04 01 2a", "expected an OBJECT IDENTIFIER"],
    ];
    for (const [hex, message] of cases) {
      const { input, tlv } = single(hex);
      expect(derError(() => readOid(input, tlv)).message).toBe(message);
    }
    const implicit = single("88 03 2a 03 04");
    expect(readOid(implicit.input, implicit.tlv, 0x88)).toBe("1.2.3.4");
  });

  it("accepts minimal INTEGERs only, and reads small non-negative ones", () => {
    for (const hex of ["02 01 00", "02 01 7f", "02 02 00 80", "02 01 80", "02 02 ff 7f", "02 03 01 00 00"]) {
      const { input, tlv } = single(hex);
      expect(() => checkInteger(input, tlv)).not.toThrow();
    }
    for (const hex of ["02 00", "02 02 00 7f", "02 02 ff 80", "04 01 00"]) {
      const { input, tlv } = single(hex);
      derError(() => checkInteger(input, tlv));
    }
    const value = single("02 03 01 00 00");
    expect(readSmallUnsigned(value.input, value.tlv, 3)).toBe(0x10000);
    expect(derError(() => readSmallUnsigned(value.input, value.tlv, 2)).message).toBe("INTEGER is too large");
    const negative = single("02 01 ff");
    expect(derError(() => readSmallUnsigned(negative.input, negative.tlv, 3)).message).toBe(
      "INTEGER is negative",
    );
    const tagged = single("82 01 05");
    expect(() => checkInteger(tagged.input, tagged.tlv, 0x82)).not.toThrow();
  });

  it("reads DER booleans and NULL, refusing BER forms", () => {
    const t = single("01 01 ff");
    const f = single("01 01 00");
    expect(readBoolean(t.input, t.tlv)).toBe(true);
    expect(readBoolean(f.input, f.tlv)).toBe(false);
    const ber = single("01 01 01");
    expect(derError(() => readBoolean(ber.input, ber.tlv)).message).toBe("BOOLEAN is not DER");
    const long = single("01 02 ff ff");
    expect(derError(() => readBoolean(long.input, long.tlv)).message).toBe("expected a BOOLEAN");
    expect(() => checkNull(readSingle(bytes("05 00")))).not.toThrow();
    expect(derError(() => checkNull(readSingle(bytes("05 01 00")))).message).toBe("expected a NULL");
  });

  it("reads BIT STRINGs whose padding is valid and zero", () => {
    const { input, tlv } = single("03 03 07 80 00");
    expect(readBitString(input, tlv)).toEqual({ unusedBits: 7, start: 3, end: 5 });
    const empty = single("03 01 00");
    expect(readBitString(empty.input, empty.tlv)).toEqual({ unusedBits: 0, start: 3, end: 3 });
    const cases: [string, string][] = [
      ["03 00", "BIT STRING is empty"],
      ["03 02 08 00", "BIT STRING padding is invalid"],
      ["03 01 01", "BIT STRING padding is invalid"],
      ["03 02 01 81", "BIT STRING padding bits are not zero"],
    ];
    for (const [hex, message] of cases) {
      const bad = single(hex);
      expect(derError(() => readBitString(bad.input, bad.tlv)).message).toBe(message);
    }
  });
});

describe("DER strings", () => {
  it("reads one character per octet for the 8-bit string types", () => {
    const input = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(decodeLatin1(input, 0, 256)).toBe(Buffer.from(input).toString("latin1"));
    const long = new Uint8Array(20_000).fill(0x41);
    expect(decodeLatin1(long, 0, long.length)).toBe("A".repeat(20_000));
  });

  it("reads well-formed UTF-8 (keeping a leading BOM) and refuses malformed UTF-8", () => {
    const text = "\ufeffé日本😀\u0000";
    const input = Uint8Array.from(Buffer.from(text, "utf8"));
    expect(decodeUtf8(input, 0, input.length)).toBe(text);
    for (const hex of ["c3", "c0 80", "ed a0 80", "ff", "e6 97"]) {
      const bad = bytes(hex);
      expect(derError(() => decodeUtf8(bad, 0, bad.length)).message).toBe("UTF8String is not valid UTF-8");
    }
  });

  it("reads BMPString as big-endian code units and refuses odd lengths", () => {
    const text = "é日😀";
    const input = Uint8Array.from(Buffer.from(text, "utf16le").swap16());
    expect(decodeBmp(input, 0, input.length)).toBe(text);
    expect(derError(() => decodeBmp(bytes("00 41 00"), 0, 3)).message).toBe("BMPString has an odd length");
  });
});

describe("DER times", () => {
  function asn1Time(text: string, tag: 0x17 | 0x18): { input: Uint8Array; tlv: Tlv; expected: number } {
    const input = Uint8Array.from([tag, text.length, ...Buffer.from(text, "latin1")]);
    const parsed = asn1js.fromBER(input).result as asn1js.UTCTime;
    return { input, tlv: readSingle(input), expected: parsed.toDate().getTime() };
  }

  it("reads UTCTime and GeneralizedTime as asn1js does, including the 1950/2049 pivot and leap days", () => {
    const utc = ["500101000000Z", "491231235959Z", "000229120000Z", "991231235959Z", "240229000000Z"];
    for (const text of utc) {
      const { input, tlv, expected } = asn1Time(text, 0x17);
      expect(readTime(input, tlv)).toBe(expected);
    }
    const generalized = ["20500101000000Z", "99991231235959Z", "19000301000000Z", "20000229000000Z"];
    for (const text of generalized) {
      const { input, tlv, expected } = asn1Time(text, 0x18);
      expect(readTime(input, tlv)).toBe(expected);
    }
  });

  it("refuses every time that is not in its DER form or not a real instant", () => {
    const cases: [string, 0x17 | 0x18][] = [
      ["2501010000Z", 0x17],
      ["250101000000+0100", 0x17],
      ["250101000000z", 0x17],
      ["251301000000Z", 0x17],
      ["250230000000Z", 0x17],
      ["230229000000Z", 0x17],
      ["250100000000Z", 0x17],
      ["250101240000Z", 0x17],
      ["250101006000Z", 0x17],
      ["250101000060Z", 0x17],
      ["2501010000 0Z", 0x17],
      ["20250101000000.5Z", 0x18],
      ["21000229000000Z", 0x18],
      ["202501010000Z", 0x18],
      ["250101000000Z", 0x18],
    ];
    for (const [text, tag] of cases) {
      const input = Uint8Array.from([tag, text.length, ...Buffer.from(text, "latin1")]);
      derError(() => readTime(input, readSingle(input)));
    }
  });
});
