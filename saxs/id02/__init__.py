"""Everything that knows ESRF ID02 file layouts (raw master/LIMA/scalers files, reduced _ave.h5 files)."""
