// Projection `creator_shop_trade` (ringwatch.graph.projections): attributed orders aggregated per
// creator-shop pair, each order's commissions (FOR) folded in first. An order is refunded after
// commission when it is refunded and a paid or reversed commission on it was created before its
// refund (no refund time: never). currency: the one code all the pair's orders carry (trimmed,
// upper case), '' when none carries one, 'mixed' otherwise (see group_currency).
MATCH (buyer:Buyer)-[:PLACED]->(o:Order)-[:ATTRIBUTED_TO]->(creator:Creator)
MATCH (o)-[:FROM]->(shop:Shop)
CALL (o) {
  OPTIONAL MATCH (o)<-[:FOR]-(cm)
  RETURN count(cm) AS commissions,
         sum(cm.amount) AS commission_total,
         sum(cm.rate) AS rate_total,
         count(CASE WHEN o.status = 'refunded' AND cm.status IN ['paid', 'reversed']
                         AND cm.created_at < o.refunded_at THEN cm END) > 0 AS after_commission
}
WITH creator.id AS creator_id,
     shop.id AS shop_id,
     count(o) AS orders,
     sum(o.amount) AS gmv,
     sum(CASE WHEN o.status = 'refunded' THEN 1 ELSE 0 END) AS refunded_orders,
     sum(CASE WHEN after_commission THEN 1 ELSE 0 END) AS refunded_after_commission,
     sum(commissions) AS commissions,
     sum(commission_total) AS commission_total,
     sum(rate_total) AS rate_total,
     count(DISTINCT buyer.id) AS buyers,
     collect(DISTINCT coalesce(toUpper(trim(o.currency)), '')) AS currencies
RETURN creator_id, shop_id, orders, gmv, refunded_orders, refunded_after_commission,
       commissions, commission_total, rate_total, buyers,
       CASE size(currencies) WHEN 1 THEN currencies[0] ELSE 'mixed' END AS currency
