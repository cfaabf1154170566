using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;

namespace Qaas.Quantization.Tests.QOperator;

public class QOperatorRecipeTests
{
    [Fact]
    public void Int8_static_with_format_qoperator_is_a_valid_static_recipe()
    {
        var r = RecipeResolver.Resolve(RecipeJson.Parse("""{"preset":"int8-static","format":"qoperator"}"""));
        Assert.Equal("qoperator", r.Format);
        Assert.True(Quantizers.NeedsCalibration(r));
    }

    [Theory]
    [InlineData("""{"preset":"fp8-e4m3","format":"qoperator"}""", "recipe.activations.type", "fp8e4m3fn")]
    [InlineData("""{"preset":"int8-static","format":"qoperator","activations":{"type":"int16"}}""", "recipe.activations.type", "int16")]
    [InlineData("""{"preset":"int8-static","format":"qoperator","activations":{"type":"fp8e5m2"}}""", "recipe.activations.type", "fp8e5m2")]
    [InlineData("""{"preset":"int8-static","format":"qoperator","weights":{"type":"int4"}}""", "recipe.weights.type", "int4")]
    [InlineData("""{"preset":"int8-static","format":"qoperator","weights":{"type":"fp8e4m3fn"}}""", "recipe.weights.type", "fp8e4m3fn")]
    [InlineData("""{"preset":"int8-static","format":"qoperator","activations":{"type":"int8"},"weights":{"type":"uint8"}}""", "recipe.weights.type", "int8 activations")]
    public void What_ONNX_Runtime_has_no_QLinear_kernel_for_is_refused_naming_the_field(string json, string field, string mentioned)
    {
        var e = Assert.Throws<RecipeValidationException>(() => RecipeResolver.Resolve(RecipeJson.Parse(json)));
        var message = Assert.Single(Assert.Single(e.Errors, kv => kv.Key == field).Value);
        Assert.Contains("qoperator", message);
        Assert.Contains(mentioned, message);
    }
}
