//! Photos from the camera: orientation, metadata stripping, resizing, content addressing.
