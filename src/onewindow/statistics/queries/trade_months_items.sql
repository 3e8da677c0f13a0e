-- Trade of one flow month by month over a range of months, from the items themselves (the
-- series trade_months.sql reads from the monthly summaries; kept to compare them).
-- Parameters (positional): flow (import or export), first month, last month (YYYY-MM).
SELECT
    month,
    count(DISTINCT trader) AS traders,
    count(DISTINCT declaration_id) AS declarations,
    sum(statistical_value) AS statistical_value,
    sum(net_mass_kg) AS net_mass_kg,
    sum(duties_taxes) AS duties_taxes
FROM items
WHERE flow = ? AND month BETWEEN ? AND ?
GROUP BY month
ORDER BY month
