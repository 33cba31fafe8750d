/** An error answered to the client as TLM's envelope `{"errors":[{"code","message"[,"field"]}]}`. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
  }

  /** 400 invalid_input_field naming the offending request field. */
  static invalidField(field: string, message: string): ApiError {
    return new ApiError(400, "invalid_input_field", message, field);
  }

  static notFound(message = "The requested resource was not found"): ApiError {
    return new ApiError(404, "resource_not_found", message);
  }

  static invalidRequest(message: string): ApiError {
    return new ApiError(400, "invalid_request", message);
  }

  static noAccess(message = "User has no access to the profile"): ApiError {
    return new ApiError(403, "no_access", message);
  }
}

/** A bad option passed to the simulator itself (startSimulator, injectFault, setLatency). */
export class SimulatorOptionError extends Error {
  override readonly name = "SimulatorOptionError";
  readonly code = "invalid_simulator_option";
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}

/** A persisted CA or state file that exists but cannot be used. */
export class SimulatorDataError extends Error {
  override readonly name = "SimulatorDataError";
  readonly code = "invalid_simulator_data";
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}
