// Projection `identity_links` (ringwatch.graph.projections): every USES relationship, with the
// account and identifier types read back from the labels. Times as epoch milliseconds.
MATCH (account)-[uses:USES]->(identifier)
RETURN CASE WHEN account:Creator THEN 'creator'
            WHEN account:Seller THEN 'seller'
            WHEN account:Buyer THEN 'buyer' END AS account_type,
       account.id AS account_id,
       CASE WHEN identifier:Device THEN 'device'
            WHEN identifier:IP THEN 'ip'
            WHEN identifier:PayoutAccount THEN 'payout_account'
            WHEN identifier:Phone THEN 'phone'
            WHEN identifier:Email THEN 'email' END AS identifier_type,
       identifier.id AS identifier,
       uses.events AS events,
       uses.first_seen.epochMillis AS first_seen_ms,
       uses.last_seen.epochMillis AS last_seen_ms
