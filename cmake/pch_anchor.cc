// Compiles nothing: the target that owns a shared precompiled header needs one source file
// (cmake/BuildSpeed.cmake).
