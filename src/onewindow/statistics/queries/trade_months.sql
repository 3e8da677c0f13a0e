-- Trade of one flow month by month over a range of months (the series of the charts), from the
-- totals of the monthly trade summaries (trade_cells): the distinct traders and the count of
-- declarations of each month exactly as trade_months_items.sql counts them.
-- Parameters (positional): flow (import or export), first month, last month (YYYY-MM).
SELECT
    month,
    traders,
    declarations,
    statistical_value,
    net_mass_kg,
    duties_taxes
FROM trade_cells
WHERE dimension = 'total' AND flow = ? AND month BETWEEN ? AND ?
ORDER BY month
