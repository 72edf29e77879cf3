// A minimal protobuf wire-format reader, enough to decode the Datadog trace
// payload (pkg/proto/datadog/trace/*.proto of DataDog/datadog-agent) into objects.

function readVarint(buf, pos) {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const byte = buf[pos++];
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [result, pos];
    shift += 7n;
    if (shift > 70n) throw new Error('varint too long');
  }
}

/** Yields [fieldNumber, wireType, value] with value a BigInt (varint), Buffer (bytes/fixed). */
export function* fields(buf) {
  let pos = 0;
  while (pos < buf.length) {
    let key;
    [key, pos] = readVarint(buf, pos);
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      let v;
      [v, pos] = readVarint(buf, pos);
      yield [field, wire, v];
    } else if (wire === 1) {
      yield [field, wire, buf.subarray(pos, pos + 8)];
      pos += 8;
    } else if (wire === 2) {
      let len;
      [len, pos] = readVarint(buf, pos);
      yield [field, wire, buf.subarray(pos, pos + Number(len))];
      pos += Number(len);
    } else if (wire === 5) {
      yield [field, wire, buf.subarray(pos, pos + 4)];
      pos += 4;
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
  }
}

/**
 * Decodes a message with a schema {fieldNumber: [name, type, repeated?]} where type is
 * 'string' | 'uint64' | 'int64' | 'int32' | 'bool' | 'double' | 'fixed64' | 'bytes' | schema object | ['map', valueType].
 */
export function decode(buf, schema) {
  const out = {};
  for (const [num, name, type, repeated] of Object.entries(schema).map(([k, v]) => [Number(k), ...v])) {
    if (repeated) out[name] = [];
    else if (Array.isArray(type) && type[0] === 'map') out[name] = {};
  }
  for (const [num, , value] of fields(buf)) {
    const spec = schema[num];
    if (!spec) continue;
    const [name, type, repeated] = spec;
    if (Array.isArray(type) && type[0] === 'map') {
      const entry = {};
      for (const [n, , v] of fields(value)) entry[n] = v;
      const k = entry[1] ? entry[1].toString('utf8') : '';
      out[name][k] = entry[2] === undefined ? scalarDefault(type[1]) : scalar(entry[2], type[1]);
      continue;
    }
    const v = typeof type === 'object' ? decode(value, type) : scalar(value, type);
    if (repeated) out[name].push(v);
    else out[name] = v;
  }
  return out;
}

function scalar(value, type) {
  switch (type) {
    case 'string':
      return value.toString('utf8');
    case 'bytes':
      return Buffer.from(value);
    case 'uint64':
      return BigInt.asUintN(64, value);
    case 'int64':
      return BigInt.asIntN(64, value);
    case 'int32':
      return Number(BigInt.asIntN(32, value));
    case 'bool':
      return value !== 0n;
    case 'double':
      return value.readDoubleLE(0);
    case 'fixed64':
      return value.readBigUInt64LE(0);
    default:
      throw new Error(`unknown type ${type}`);
  }
}

function scalarDefault(type) {
  return type === 'string' ? '' : type === 'double' ? 0 : 0n;
}
