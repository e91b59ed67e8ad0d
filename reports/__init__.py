"""What people read: one read-only view of the store (`reports.model`) that the dashboard pages
and the office-format reports (`reports.html`, `reports.xlsx`, `reports.docx`) all show, so a
page, a workbook and a 通报 give the same numbers."""
