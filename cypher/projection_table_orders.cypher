// Table read for the projections (ringwatch.graph.neo4j_projections): every order's own
// properties, keyed by the node's internal id (order_id: the orders' relationships and their
// commissions are read by separate statements and joined on it in pandas, which saves reading
// the id text of every order), as one row of columns (lists). Missing currency is ''; times
// are epoch microseconds, $missing when absent. Orders only named by a commission have no
// buyer (PLACED) and drop out of the join.
MATCH (o:Order)
WITH o, o.refunded_at AS refunded_at
RETURN collect(id(o)) AS order_id,
       collect(coalesce(o.amount, 0.0)) AS amount,
       collect(coalesce(o.status, '')) AS status,
       collect(coalesce(o.currency, '')) AS currency,
       collect(coalesce(refunded_at.epochMillis * 1000 + refunded_at.microsecond % 1000, $missing))
         AS refunded_at
