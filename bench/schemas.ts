/** JSON Schemas the benchmarks constrain output with (bench/sampler.ts, bench/json-mode.ts). */

/** A realistic tool call: nested object, enum, array of objects, string formats. */
export const TOOL_CALL_SCHEMA = {
  type: 'object',
  properties: {
    name: { enum: ['get_weather', 'book_flight', 'search_web'] },
    arguments: {
      type: 'object',
      properties: {
        city: { type: 'string', minLength: 1 },
        date: { type: 'string', format: 'date' },
        units: { enum: ['celsius', 'fahrenheit'] },
        passengers: {
          type: 'array',
          items: {
            type: 'object',
            properties: { name: { type: 'string' }, birth_date: { type: 'string', format: 'date' }, seat: { type: 'string', pattern: '^[0-9]{1,2}[A-F]$' } },
            required: ['name'],
          },
          maxItems: 9,
        },
        depart: { type: 'string', format: 'date-time' },
        booking_id: { type: 'string', format: 'uuid' },
        max_price: { type: 'number', minimum: 0 },
      },
      required: ['city'],
    },
  },
  required: ['name', 'arguments'],
} as const;

/** Several tool calls at once (bench/json-mode.ts: a longer constrained output). */
export const TOOL_CALLS_SCHEMA = {
  type: 'object',
  properties: { calls: { type: 'array', items: TOOL_CALL_SCHEMA, minItems: 3, maxItems: 6 } },
  required: ['calls'],
  additionalProperties: false,
} as const;
