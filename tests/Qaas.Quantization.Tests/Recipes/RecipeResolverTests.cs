using Qaas.Quantization.Recipes;

namespace Qaas.Quantization.Tests.Recipes;

public class RecipeResolverTests
{
    [Fact]
    public void Preset_expands_and_the_recipe_overrides_single_fields()
    {
        var r = RecipeResolver.Resolve(RecipeJson.Parse("""{"preset":"int8-static","activations":{"calibration":"entropy"}}"""));
        Assert.Equal("int8", r.Weights!.Type);
        Assert.Equal("per-channel", r.Weights.Granularity);
        Assert.Equal("entropy", r.Activations!.Calibration);
        Assert.Equal("uint8", r.Activations.Type);
        Assert.Equal("qdq", r.Format);
    }

    [Fact]
    public void A_mixed_precision_budget_overrides_the_presets_and_keeps_its_candidates()
    {
        var r = RecipeResolver.Resolve(RecipeJson.Parse("""{"preset":"mixed-size","mixedPrecision":{"budget":{"sizeRatio":0.4}}}"""));
        Assert.Equal(0.4, r.MixedPrecision!.Budget!.SizeRatio);
        Assert.Equal(["int4", "int8"], r.MixedPrecision.Candidates!);
        Assert.Equal("size", r.MixedPrecision.Objective);
    }

    [Fact]
    public void Every_preset_resolves_to_a_valid_recipe()
    {
        foreach (var name in Presets.All.Keys)
            Assert.Equal(name, RecipeResolver.Resolve(new Recipe { Preset = name }).Preset);
    }

    [Theory]
    [InlineData("""{"weights":{"type":"int8","granularty":"per-channel"}}""", "recipe.weights.granularty", "unknown field")]
    [InlineData("""{"colour":"red"}""", "recipe.colour", "unknown field")]
    [InlineData("""{"weights":{"groupSize":"big"}}""", "recipe.weights.groupSize", "wrong JSON type")]
    public void Unknown_or_mistyped_fields_are_named(string json, string field, string message)
    {
        var e = Assert.Throws<RecipeValidationException>(() => RecipeJson.Parse(json));
        Assert.Contains(message, Assert.Single(e.Errors, kv => kv.Key == field).Value[0]);
    }

    [Theory]
    [InlineData("""{"weights":{"type":"int5"}}""", "recipe.weights.type")]
    [InlineData("""{"weights":{"granularity":"per-group"}}""", "recipe.weights.groupSize")]
    [InlineData("""{"weights":{"granularity":"per-group","groupSize":48}}""", "recipe.weights.groupSize")]
    [InlineData("""{"preset":"w4-rtn","weights":{"algorithm":"adaround"}}""", "recipe.weights.algorithm")]
    [InlineData("""{"preset":"int8-static","prefill":"int8"}""", "recipe.prefill")]
    [InlineData("""{"preset":"w4-rtn","prefill":"fp16"}""", "recipe.prefill")]
    [InlineData("""{"preset":"w4-rtn","weights":{"type":"int2"},"prefill":"int8"}""", "recipe.prefill")]
    [InlineData("""{"preset":"int8-dynamic","weights":{"algorithm":"adaround"}}""", "recipe.weights.algorithm")]
    [InlineData("""{"preset":"fp8-e4m3","weights":{"algorithm":"adaround"}}""", "recipe.weights.algorithm")]
    [InlineData("""{"preset":"int8-static","weights":{"algorithm":"awq"}}""", "recipe.weights.algorithm")]
    [InlineData("""{"preset":"int8-static","weights":{"algorithm":"gptq"}}""", "recipe.weights.algorithm")]
    [InlineData("""{"transforms":["smoothquant-v2"]}""", "recipe.transforms[0]")]
    [InlineData("""{"preset":"int8-dynamic","transforms":["smoothquant"]}""", "recipe.transforms")]
    [InlineData("""{"preset":"int8-dynamic","transforms":["bias-correction"]}""", "recipe.transforms")]
    [InlineData("""{"preset":"fp8-e4m3","transforms":["bias-correction"]}""", "recipe.transforms")]
    [InlineData("""{"preset":"w4-rtn","transforms":["cross-layer-equalization"]}""", "recipe.transforms")]
    [InlineData("""{"mixedPrecision":{"objective":"size"}}""", "recipe.mixedPrecision")]
    [InlineData("""{"preset":"w4-rtn","mixedPrecision":{"objective":"latency","candidates":["int4"],"budget":{"sizeRatio":0.3}}}""", "recipe.mixedPrecision.budget.latencyRatio")]
    [InlineData("""{"preset":"w4-rtn","mixedPrecision":{"objective":"latency","candidates":["int4"],"budget":{"latencyRatio":0}}}""", "recipe.mixedPrecision.budget.latencyRatio")]
    [InlineData("""{"preset":"w4-rtn","mixedPrecision":{"objective":"speed","candidates":["int4"],"budget":{"sizeRatio":0.3}}}""", "recipe.mixedPrecision.objective")]
    [InlineData("""{"preset":"w4-rtn","mixedPrecision":{"objective":"size","candidates":["fp16"],"budget":{"sizeRatio":0.3}}}""", "recipe.mixedPrecision.candidates[0]")]
    [InlineData("""{"preset":"w4-rtn","mixedPrecision":{"objective":"size","candidates":["int4"],"budget":{"sizeRatio":1.5}}}""", "recipe.mixedPrecision.budget.sizeRatio")]
    [InlineData("""{"preset":"mixed-size","weights":{"algorithm":"gptq"}}""", "recipe.mixedPrecision")]
    [InlineData("""{"preset":"w4-rtn","weights":{"type":"fp8e4m3fn"}}""", "recipe.weights.type")]
    [InlineData("""{"preset":"w4-rtn","format":"qdq"}""", "recipe.format")]
    [InlineData("""{"activations":{"type":"dynamic"},"weights":{"type":"int4"}}""", "recipe.weights.type")]
    [InlineData("""{"preset":"nope"}""", "recipe.preset")]
    [InlineData("""{"evaluation":{"repeats":0}}""", "recipe.evaluation.repeats")]
    public void Invalid_or_unavailable_choices_name_the_field(string json, string field)
    {
        var e = Assert.Throws<RecipeValidationException>(() => RecipeResolver.Resolve(RecipeJson.Parse(json)));
        Assert.Contains(field, e.Errors.Keys);
    }

    [Fact]
    public void A_resolved_recipe_round_trips_through_json()
    {
        var r = RecipeResolver.Resolve(new Recipe { Preset = "w4-rtn" });
        Assert.Equal(RecipeJson.Serialize(r), RecipeJson.Serialize(RecipeJson.Parse(RecipeJson.Serialize(r))));
    }
}
