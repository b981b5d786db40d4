// A post-norm transformer feed-forward sublayer (DESIGN.md section 6):
//   y = LayerNorm(x + Dropout(W2 GELU(W1 x + b1) + b2))
// Parameters are function arguments after the input.
func.func @ffn_post_ln(%x: tensor<8x128x768xf32>,
                       %w1: tensor<3072x768xf32>, %b1: tensor<3072xf32>,
                       %w2: tensor<768x3072xf32>, %b2: tensor<768xf32>,
                       %g: tensor<768xf32>, %b: tensor<768xf32>) -> tensor<8x128x768xf32> {
  %0 = ndr.linear %x, %w1, %b1 : tensor<8x128x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>
  %1 = ndr.gelu %0 : tensor<8x128x3072xf32>
  %2 = ndr.linear %1, %w2, %b2 : tensor<8x128x3072xf32>, tensor<768x3072xf32>, tensor<768xf32>
  %3 = ndr.dropout %2, p = 0.1, stream = 0 : tensor<8x128x768xf32>
  %4 = ndr.add %x, %3 : tensor<8x128x768xf32>, tensor<8x128x768xf32>
  %y = ndr.layer_norm %4 gamma(%g : tensor<768xf32>) beta(%b : tensor<768xf32>) eps = 1.0e-5 : tensor<8x128x768xf32>
  return %y : tensor<8x128x768xf32>
}
