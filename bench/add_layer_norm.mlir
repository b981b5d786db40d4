// The fused add + LayerNorm of the post-norm sublayer at benchmark size:
// y = LayerNorm(x + h) over rows of 768, 16384 rows.
func.func @add_layer_norm(%x: tensor<16384x768xf32> {ndr.input = "x"},
                          %h: tensor<16384x768xf32> {ndr.input = "h"},
                          %g: tensor<768xf32> {ndr.param = "g", ndr.init = "ones"},
                          %b: tensor<768xf32> {ndr.param = "b", ndr.init = "zeros"})
    -> (tensor<16384x768xf32> {ndr.output = "y"}) attributes {ndr.model} {
  %s = ndr.add %x, %h : tensor<16384x768xf32>, tensor<16384x768xf32>
  %y = ndr.layer_norm %s gamma(%g : tensor<768xf32>) beta(%b : tensor<768xf32>) : tensor<16384x768xf32>
  return %y : tensor<16384x768xf32>
}
