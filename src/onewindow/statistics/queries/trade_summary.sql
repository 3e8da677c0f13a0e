-- The month's trade summary (the table trade_cells): every cell of every published trade table
-- of one month, for both flows, from the month's items, with the figures trade_items.sql gives.
-- No parameters. Reads the view items (the files of one month: exported days and fast parts).
-- Each row: flow, the table's dimension (hs2, hs4, hs6, partner, procedure, mode, office, or
-- total for the table's total), the cell's code and the code it belongs to (the chapter of a
-- heading, the heading of a subheading), the distinct traders and declarations behind it, and
-- the sums of the measures. Distinct counts do not add up across days or cells, so the month is
-- made again whole from its items whenever one of its days changes: the published tables and
-- the monthly series then read a few thousand rows instead of every item of the month.
SELECT
    flow,
    CASE
        WHEN GROUPING(hs6) = 0 THEN 'hs6'
        WHEN GROUPING(hs4) = 0 THEN 'hs4'
        WHEN GROUPING(hs2) = 0 THEN 'hs2'
        WHEN GROUPING(partner) = 0 THEN 'partner'
        WHEN GROUPING(procedure) = 0 THEN 'procedure'
        WHEN GROUPING(mode) = 0 THEN 'mode'
        WHEN GROUPING(office) = 0 THEN 'office'
        ELSE 'total'
    END AS dimension,
    CASE
        WHEN GROUPING(hs6) = 0 THEN coalesce(hs6, 'unknown')
        WHEN GROUPING(hs4) = 0 THEN coalesce(hs4, 'unknown')
        WHEN GROUPING(hs2) = 0 THEN coalesce(hs2, 'unknown')
        WHEN GROUPING(partner) = 0 THEN coalesce(partner, 'unknown')
        WHEN GROUPING(procedure) = 0 THEN coalesce(procedure, 'unknown')
        WHEN GROUPING(mode) = 0 THEN coalesce(mode, 'unknown')
        WHEN GROUPING(office) = 0 THEN coalesce(office, 'unknown')
        ELSE 'total'
    END AS code,
    CASE
        WHEN GROUPING(hs6) = 0 THEN coalesce(hs4, '')
        WHEN GROUPING(hs4) = 0 THEN coalesce(hs2, '')
        ELSE ''
    END AS parent,
    count(DISTINCT trader) AS traders,
    count(DISTINCT declaration_id) AS declarations,
    sum(statistical_value) AS statistical_value,
    sum(net_mass_kg) AS net_mass_kg,
    sum(supplementary_quantity) AS supplementary_quantity,
    sum(duties_taxes) AS duties_taxes
FROM items
WHERE flow IS NOT NULL
GROUP BY GROUPING SETS (
    (flow, hs2),
    (flow, hs4, hs2),
    (flow, hs6, hs4),
    (flow, partner),
    (flow, procedure),
    (flow, mode),
    (flow, office),
    (flow)
)
