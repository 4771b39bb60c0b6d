"""Pure renderers: data in, bytes out (PDF, XLSX, CSV, labels); no database access."""
