// Projection `affiliations` (ringwatch.graph.projections): declared creator-shop affiliations
// (PROMOTES) with their agreed rate. Times as epoch milliseconds.
MATCH (creator:Creator)-[promotes:PROMOTES]->(shop:Shop)
RETURN creator.id AS creator_id,
       shop.id AS shop_id,
       promotes.commission_rate AS commission_rate,
       promotes.started_at.epochMillis AS started_at_ms
