-- Trade statistics of one flow and one month by one dimension, with the table's total, from the
-- items themselves (trade.sql reads the same rows from the monthly summary, trade_cells).
-- Parameters (positional): dimension (hs2, hs4, hs6, partner, procedure, mode, office),
-- the same dimension again, flow (import or export), month (YYYY-MM).
-- Each row: the cell's code and the code it belongs to (the chapter of a heading, the heading of
-- a subheading), the distinct traders and declarations behind it (for confidentiality, never
-- published), and the measures. The row with kind 'total' sums the whole table.
WITH chosen AS (
    SELECT
        CASE ?
            WHEN 'hs2' THEN hs2
            WHEN 'hs4' THEN hs4
            WHEN 'hs6' THEN hs6
            WHEN 'partner' THEN partner
            WHEN 'procedure' THEN procedure
            WHEN 'mode' THEN mode
            WHEN 'office' THEN office
        END AS code,
        CASE ?
            WHEN 'hs4' THEN hs2
            WHEN 'hs6' THEN hs4
            ELSE ''
        END AS parent,
        trader,
        declaration_id,
        statistical_value,
        net_mass_kg,
        supplementary_quantity,
        duties_taxes
    FROM items
    WHERE flow = ? AND month = ?
)
SELECT
    CASE WHEN GROUPING(code, parent) = 0 THEN 'cell' ELSE 'total' END AS kind,
    coalesce(code, 'unknown') AS code,
    coalesce(parent, '') AS parent,
    count(DISTINCT trader) AS traders,
    count(DISTINCT declaration_id) AS declarations,
    sum(statistical_value) AS statistical_value,
    sum(net_mass_kg) AS net_mass_kg,
    sum(supplementary_quantity) AS supplementary_quantity,
    sum(duties_taxes) AS duties_taxes
FROM chosen
GROUP BY GROUPING SETS ((code, parent), ())
ORDER BY kind, statistical_value DESC NULLS LAST, code, parent
