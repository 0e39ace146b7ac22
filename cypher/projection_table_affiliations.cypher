// Table read for the projections (ringwatch.graph.neo4j_projections): declared creator-shop
// affiliations (PROMOTES) with their agreed rate, as one row of columns (lists). Times are
// epoch microseconds, $missing when absent.
MATCH (creator:Creator)-[promotes:PROMOTES]->(shop:Shop)
WITH creator, shop, promotes, promotes.started_at AS started_at
RETURN collect(creator.id) AS creator_id,
       collect(shop.id) AS shop_id,
       collect(coalesce(promotes.commission_rate, 0.0)) AS commission_rate,
       collect(coalesce(started_at.epochMillis * 1000 + started_at.microsecond % 1000, $missing))
         AS started_at
