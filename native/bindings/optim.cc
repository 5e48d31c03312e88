// N-API bindings of the fused optimizer steps (spec: src/backend/spec/optim.ts; kernels: native/kernels/optim.cc).
#include "binding.h"
#include "simmer.h"

namespace {
using namespace simmer::binding;

void SgdStep(const Napi::CallbackInfo& info) {
  // (param, grad, buf|null, lr, momentum, dampening, weightDecay, nesterov, firstStep)
  DebugTimer t("sgdStep", len(info, 0));
  simmer_sgd_step(f32(info, 0), f32(info, 1), f32OrNull(info, 2), len(info, 0), num(info, 3), num(info, 4), num(info, 5), num(info, 6), flag(info, 7),
                  flag(info, 8));
}
void AdamStep(const Napi::CallbackInfo& info) {
  // (param, grad, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step)
  DebugTimer t("adamStep", len(info, 0));
  simmer_adam_step(f32(info, 0), f32(info, 1), f32(info, 2), f32(info, 3), len(info, 0), num(info, 4), num(info, 5), num(info, 6), num(info, 7),
                   num(info, 8), flag(info, 9), num(info, 10));
}

void RmspropStep(const Napi::CallbackInfo& info) {
  // (param, grad, squareAvg, gradAvg|null, momentumBuffer|null, lr, alpha, eps, weightDecay, momentum)
  DebugTimer t("rmspropStep", len(info, 0));
  simmer_rmsprop_step(f32(info, 0), f32(info, 1), f32(info, 2), f32OrNull(info, 3), f32OrNull(info, 4), len(info, 0), num(info, 5), num(info, 6),
                      num(info, 7), num(info, 8), num(info, 9));
}
void SumOfSquares(const Napi::CallbackInfo& info) {
  DebugTimer t("sumOfSquares", len(info, 0));
  simmer_sum_of_squares(f32(info, 0), len(info, 0), f32(info, 1));
}

SIMMER_EXPORT("sgdStep", "f32 f32 f32? float float float float bool bool", SgdStep);
SIMMER_EXPORT("adamStep", "f32 f32 f32 f32 float float float float float bool float", AdamStep);
SIMMER_EXPORT("rmspropStep", "f32 f32 f32 f32? f32? float float float float float", RmspropStep);
SIMMER_EXPORT("sumOfSquares", "f32 f32", SumOfSquares);

}  // namespace
