//! ESC/POS command stream builder for 58 mm and 80 mm thermal printers.
