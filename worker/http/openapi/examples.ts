/**
 * @module http/openapi/examples
 * Example values shown in the OpenAPI document (they are data, not schemas).
 */

/** The flow definition of the README and the acceptance story. */
export const PLATINUM_EXAMPLE = {
  offers: [
    {
      id: "platinum-card",
      eligibility: [{ attribute: "tier", op: "in", value: ["gold", "platinum"] }],
      model: { intercept: -1.0, numeric: { income: 0.00002 }, categorical: { ageBand: { "65+": -2.0 } } },
      minPropensity: 0.5,
    },
  ],
  maxOffers: 1,
};
