package forward

// NativeHandler lets the external tests see which set this build relays.
const NativeHandler = nativeHandler
