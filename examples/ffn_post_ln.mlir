// A post-norm transformer feed-forward sublayer (DESIGN.md section 6):
//   y = LayerNorm(x + Dropout(W2 GELU(W1 x + b1) + b2))
// The model's arguments are its input, then its parameters (README, "Models in IR").
func.func @ffn_post_ln(
    %x: tensor<8x128x768xf32> {ndr.input = "x"},
    %w1: tensor<3072x768xf32> {ndr.param = "w1", ndr.init = "normal(0.02)"},
    %b1: tensor<3072xf32> {ndr.param = "b1", ndr.init = "zeros"},
    %w2: tensor<768x3072xf32> {ndr.param = "w2", ndr.init = "normal(0.02)"},
    %b2: tensor<768xf32> {ndr.param = "b2", ndr.init = "zeros"},
    %g: tensor<768xf32> {ndr.param = "g", ndr.init = "ones"},
    %b: tensor<768xf32> {ndr.param = "b", ndr.init = "zeros"})
    -> (tensor<8x128x768xf32> {ndr.output = "y"}) attributes {ndr.model} {
  %0 = ndr.linear %x, %w1, %b1 : tensor<8x128x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>
  %1 = ndr.gelu %0 : tensor<8x128x3072xf32>
  %2 = ndr.linear %1, %w2, %b2 : tensor<8x128x3072xf32>, tensor<768x3072xf32>, tensor<768xf32>
  %3 = ndr.dropout %2, p = 0.1, stream = 0 : tensor<8x128x768xf32>
  %4 = ndr.add %x, %3 : tensor<8x128x768xf32>, tensor<8x128x768xf32>
  %y = ndr.layer_norm %4 gamma(%g : tensor<768xf32>) beta(%b : tensor<768xf32>) eps = 1.0e-5 : tensor<8x128x768xf32>
  return %y : tensor<8x128x768xf32>
}
