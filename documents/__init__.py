"""Reading official documents: bytes in any supported format → clean text → a structured Document
(header, outline, items, responsible units, deadlines, quantities, task tables)."""
